"""Build reference_data/ from the researched sources in ../shared/reference-sources/.

Run by hand when the sources change:

    python scripts/build_reference_data.py ../shared/reference-sources [--out DIR]
    python scripts/build_reference_data.py --manifest-only [--out DIR]   # after a hand edit

Rows copied from the research CSVs keep their source and confidence. Rows that needed a
judgement (which HCPCS row is the predecessor of which, how an ICD-10-CM list is split into
include/exclude patterns) are written out below, each with the source it rests on. Nothing is
invented: where the research marks a value `unverified`, the cell is left blank and the notes say
so. The manifest's checksums are recomputed at the end.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not
from cgt_claimcheck.reference import rows  # noqa: E402
from cgt_claimcheck.reference.icd import icd_matches  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "reference_data"
RELEASE = "2026.12"  # labelled by content: the 2026-12 audit is applied
RELEASED = "2026-12-06"

MEDI_CAL = "Medi-Cal Provider Manual, Cell and Gene Therapy (page updated July 2025)"
WNC = "WellCare of North Carolina clinical policy WNC.CP.299 Cell and Gene Therapies (01/2025)"
CMS_2020 = "CMS HCPCS Oct-2020 alpha-numeric file (anweb.xlsx: LONG DESCRIPTION, ADD DT, TERM DT)"
TMHP = "Texas Medicaid (TMHP) provider notice"

# --------------------------------------------------------------------------------------------
# products: the 15 CGT products of the two policies
# --------------------------------------------------------------------------------------------
PRODUCT_COLUMNS = rows.columns(rows.Product)  # the schema lives in cgt_claimcheck/reference/rows.py
# family drives the site-of-care and certification rules; billing_unit comes from the
# descriptor the Medi-Cal manual prints for the product's code.
PRODUCT_FAMILY = {
    "yescarta": "car-t",
    "kymriah": "car-t",
    "tecartus": "car-t",
    "breyanzi": "car-t",
    "abecma": "car-t",
    "carvykti": "car-t",
    "aucatzyl": "car-t",
    "tecelra": "tcr-t",
    "casgevy": "hemoglobinopathy",
    "lyfgenia": "hemoglobinopathy",
    "zynteglo": "hemoglobinopathy",
    "hemgenix": "hemophilia",
    "roctavian": "hemophilia",
    "elevidys": "dmd",
    "zolgensma": "sma",
    "luxturna": "retinal",
}
BILLING_UNIT = {
    "yescarta": "per_therapeutic_dose",
    "kymriah": "per_therapeutic_dose",
    "tecartus": "per_therapeutic_dose",
    "breyanzi": "per_therapeutic_dose",
    "abecma": "per_therapeutic_dose",
    "carvykti": "per_therapeutic_dose",
    "aucatzyl": "per_infusion",
    "tecelra": "per_therapeutic_dose",
    "casgevy": "per_treatment",
    "lyfgenia": "per_treatment",
    "zynteglo": "per_treatment",
    "hemgenix": "per_therapeutic_dose",
    "roctavian": "per_ml",
    "elevidys": "per_therapeutic_dose",
    "zolgensma": "per_treatment",
    "luxturna": "per_1e9_vg",
}
LABELER_11 = {"kymriah": "00078", "hemgenix": "00053", "roctavian": ""}


# Products the label gives more than once (CV001, the once-per-lifetime rule, skips them). None
# of the products of the two policies is: Luxturna's two eyes are one treatment within the
# repeat window. The 2026-11 additions that are (Vyjuvek, Adstiladrin, ...) join below.
REPEAT_DOSING: set[str] = set()


# Label dose ceilings per date of service, where the label fixes the dose per administration and
# the code is billed per unit of vector genomes or volume: code -> (units, basis, source).
DOSE_CEILINGS = {
    "J3398": (
        "150",
        "1.5 x 10^11 vector genomes per eye = 150 units of 1 billion vg; each eye on a separate day, "
        "no fewer than 6 days apart",
        "LUXTURNA Prescribing Information, Dosage and Administration, as quoted by the manufacturer's HCP "
        "page https://luxturnahcp.com/about-luxturna/administration (1.5 x 10^11 vg in 0.3 mL per eye; "
        "separate days no fewer than 6 days apart)",
    ),
}


def build_hcpcs() -> list[dict[str, str]]:
    base = HCPCS_COLUMNS[:-3]  # the tuples below end at notes; the dose ceiling columns follow
    rows = []
    for values in HCPCS_ROWS:
        row = dict(zip(base, values, strict=True))
        units, basis, source = DOSE_CEILINGS.get(row["code"], ("", "", ""))
        row.update(max_units_per_day=units, max_units_basis=basis, max_units_source=source)
        rows.append(row)
    return rows


def build_products(src: Path) -> list[dict[str, str]]:
    rows = []
    for r in csv.DictReader(open(src / "products.csv", encoding="utf-8")):
        pid = r["product_id"]
        if pid not in PRODUCT_FAMILY:
            continue  # the J3590 fallback is a HCPCS row, not a product
        labeler = LABELER_11.get(pid, r["labeler_code"])
        approval = r["fda_approval_date"] if r["fda_approval_date"][:2] == "20" else ""
        notes = r["notes"]
        if not approval:
            notes = (notes + " FDA approval date unverified, left blank.").strip()
        rows.append(
            {
                "product_id": pid,
                "brand": r["brand"],
                "generic": r["generic"],
                "family": PRODUCT_FAMILY[pid],
                "category": r["category"],
                "billing_unit": BILLING_UNIT[pid],
                "manufacturer": r["manufacturer"],
                "labeler_code": labeler,
                "fda_approval_date": approval,
                "dosing": "repeat" if pid in REPEAT_DOSING else "once",
                "source": f"{r['source']} ; billing unit: {MEDI_CAL} procedure code tables",
                "confidence": r["confidence"],
                "notes": notes,
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# hcpcs: code -> product with effective windows (blank = not known)
# --------------------------------------------------------------------------------------------
HCPCS_COLUMNS = rows.columns(rows.HcpcsCode)  # the schema lives in cgt_claimcheck/reference/rows.py
# in_use_by: a sourced date on which the code is known to have been billable. It is not an
# effective date; CD002 uses it as the earliest date it may say "a specific code exists".
HCPCS_ROWS = [
    (
        "Q2041",
        "yescarta",
        "product",
        "Axicabtagene ciloleucel, up to 200 million autologous anti-cd19 car positive viable t cells, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "2018-04-01",
        "",
        "",
        "",
        CMS_2020 + " (ADD DT 20180401)",
        "high",
        "ACT EFF DT 2019-01-01 is a descriptor revision. Code before 2018-04-01 not found (NOC billing presumed, unverified).",
    ),
    (
        "Q2040",
        "kymriah",
        "predecessor",
        "Tisagenlecleucel, up to 250 million car-positive viable t cells, including leukapheresis and dose preparation procedures, per infusion",
        "per_infusion",
        "2018-01-01",
        "2018-12-31",
        "",
        "Q2042",
        CMS_2020 + " (ADD 20180101, TERM 20181231); CMS 2019-20 HCPCS decisions",
        "high",
        "CMS discontinued Q2040 and established Q2042 effective 2019-01-01.",
    ),
    (
        "Q2042",
        "kymriah",
        "product",
        "Tisagenlecleucel, up to 600 million car-positive viable t cells, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "2019-01-01",
        "",
        "",
        "",
        CMS_2020 + " (ADD 20190101)",
        "high",
        "",
    ),
    (
        "Q2053",
        "tecartus",
        "product",
        "Brexucabtagene autoleucel, up to 200 million autologous anti-CD19 CAR positive viable T cells, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "",
        "",
        "2022-07-01",
        "",
        f"{MEDI_CAL}; descriptor third-party https://carecostestimate.com/drugs/tecartus; in use per {TMHP} 2022-06-03",
        "medium",
        "CMS effective date unverified (best knowledge 2021-01-01, not used). Predecessor C9073 is best knowledge only and is left out.",
    ),
    (
        "Q2054",
        "breyanzi",
        "product",
        "Lisocabtagene maraleucel, up to 110 million autologous anti-CD19 CAR positive viable T cells, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "",
        "",
        "2021-12-01",
        "",
        f"{MEDI_CAL}; in use per {TMHP} 2021-10-22 (PA effective 2021-12-01)",
        "medium",
        "CMS effective date unverified (best knowledge 2021-10-01, not used).",
    ),
    (
        "C9076",
        "breyanzi",
        "predecessor",
        "Lisocabtagene maraleucel, up to 110 million autologous anti-cd19 car-positive viable t cells, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "2021-07-01",
        "",
        "",
        "Q2054",
        "payer policy https://docslib.org/doc/12366533/ ; https://allzonems.com/?p=9797",
        "medium",
        "OPPS C-code. End date unverified (best knowledge 2021-09-30, not used). Before 2021-07-01 Breyanzi was billed with J9999 (NOC antineoplastic).",
    ),
    (
        "Q2055",
        "abecma",
        "product",
        "Idecabtagene vicleucel, up to 510 million autologous B-cell maturation antigen (BCMA) directed CAR-positive T cells, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "",
        "",
        "2025-07-01",
        "",
        f"{MEDI_CAL} (descriptor and code listed there)",
        "medium",
        "CMS effective date unverified (best knowledge 2022-04-01, not used); in_use_by is the Medi-Cal manual's page date.",
    ),
    (
        "C9081",
        "abecma",
        "predecessor",
        "Idecabtagene vicleucel, up to 460 million autologous anti-bcma car-positive viable T cells, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "",
        "",
        "2021-12-01",
        "Q2055",
        f"https://www.codingahead.com/hcpcs-code-c9081/ ; {TMHP} 2021-10-22",
        "low",
        "OPPS C-code; effective dates unverified (best knowledge 2021-10-01 to 2022-03-31, not used).",
    ),
    (
        "Q2056",
        "carvykti",
        "product",
        "Ciltacabtagene autoleucel, up to 100 million autologous B-cell maturation antigen (BCMA) directed CAR-positive T cells, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "",
        "",
        "2025-07-01",
        "",
        f"{MEDI_CAL} (descriptor and code listed there)",
        "medium",
        "CMS effective date unverified (best knowledge 2023-01-01, not used).",
    ),
    (
        "C9098",
        "carvykti",
        "predecessor",
        "Ciltacabtagene autoleucel (C-code descriptor not retrieved)",
        "",
        "",
        "",
        "2022-07-01",
        "Q2056",
        "QualChoice policy https://documents.qualchoice.com/area/shared/PrintPolicy.aspx?sop=BI699:00 (effective 07/01/2022 lists C9098)",
        "medium",
        "OPPS C-code; effective dates unverified.",
    ),
    (
        "Q2057",
        "tecelra",
        "product",
        "Afamitresgene autoleucel, including leukapheresis and dose preparation procedures, per therapeutic dose",
        "per_therapeutic_dose",
        "",
        "",
        "2025-05-01",
        "",
        f"{MEDI_CAL}; in use per {TMHP} 2025-04-11 (PA for DOS on/after 2025-05-01)",
        "medium",
        "CMS effective date unverified.",
    ),
    (
        "Q2058",
        "aucatzyl",
        "product",
        "Obecabtagene autoleucel, 10 up to 400 million cd19 car-positive viable t cells, including leukapheresis and dose preparation procedures, per infusion",
        "per_infusion",
        "",
        "",
        "2025-07-01",
        "",
        f"{MEDI_CAL}; in use per {TMHP} 2025-07-11 (benefit 2025-07-01)",
        "medium",
        "CMS effective date unverified. One course = two split infusions (day 1 and day 10), one unit each.",
    ),
    (
        "J3392",
        "casgevy",
        "product",
        "Injection, exagamglogene autotemcel, per treatment",
        "per_treatment",
        "2025-01-01",
        "",
        "",
        "",
        f"{MEDI_CAL}; {WNC}; effective date: BCBSNC policy history via openpayer.com",
        "medium",
        "Before 2025-01-01 Casgevy was billed with an unclassified code (C9399/J3490/J3590), per the same BCBSNC note.",
    ),
    (
        "J3393",
        "zynteglo",
        "product",
        "Injection, betibeglogene autotemcel, per treatment",
        "per_treatment",
        "2024-07-01",
        "",
        "",
        "",
        f"{MEDI_CAL}; effective date: third-party summary of CMS HCPCS decisions effective 2024-07-01 (https://buyandbill.com/hcpcs-code-applications-and-approvals/)",
        "medium",
        "",
    ),
    (
        "J3394",
        "lyfgenia",
        "product",
        "Injection, lovotibeglogene autotemcel, per treatment",
        "per_treatment",
        "2024-07-01",
        "",
        "",
        "",
        f"{MEDI_CAL}; {WNC}; effective date: third-party summary of CMS HCPCS decisions effective 2024-07-01 (https://buyandbill.com/hcpcs-code-applications-and-approvals/)",
        "medium",
        "An earlier best-knowledge guess of 2025-01-01 is superseded by this sourced date.",
    ),
    (
        "J1411",
        "hemgenix",
        "product",
        "Injection, etranacogene dezaparvovec-drlb, per therapeutic dose",
        "per_therapeutic_dose",
        "2023-04-01",
        "",
        "",
        "",
        f"{MEDI_CAL}; https://www.allzonems.com/latest-hcpcs-level-ii-coding-guidelines/ (retroactive effective date April 1, 2023)",
        "medium",
        "",
    ),
    (
        "J1412",
        "roctavian",
        "product",
        "Injection, valoctocogene roxaparvovec-rvox, per ml, containing nominal 2 x 10^13 vector genomes",
        "per_ml",
        "",
        "",
        "2024-01-01",
        "",
        f"{MEDI_CAL}; in use per TCHP 2023-12-06 and {TMHP} 2024-01-19 (benefit from 2024-01-01)",
        "medium",
        "CMS effective date unverified.",
    ),
    (
        "J1413",
        "elevidys",
        "product",
        "Injection, delandistrogene moxeparvovec-rokl, per therapeutic dose",
        "per_therapeutic_dose",
        "2024-01-01",
        "",
        "",
        "",
        f"{MEDI_CAL}; third-party https://www.carepatron.com/procedure-code/hcpcs-code-j1413 (active since January 2024)",
        "medium",
        "",
    ),
    (
        "J3399",
        "zolgensma",
        "product",
        "Injection, onasemnogene abeparvovec-xioi, per treatment, up to 5x10^15 vector genomes",
        "per_treatment",
        "2020-07-01",
        "",
        "",
        "",
        CMS_2020 + " (ADD DT 20200701)",
        "high",
        "",
    ),
    (
        "J3398",
        "luxturna",
        "product",
        "Injection, voretigene neparvovec-rzyl, 1 billion vector genomes",
        "per_1e9_vg",
        "2019-01-01",
        "",
        "",
        "",
        CMS_2020 + " (ADD DT 20190101)",
        "high",
        "Label dose 1.5e11 vg per eye = 150 units per date of service (CD005).",
    ),
    (
        "J3590",
        "",
        "unclassified",
        "Unclassified biologics",
        "",
        "2003-01-01",
        "",
        "",
        "",
        CMS_2020 + f"; {WNC} Coding Implications NOTE",
        "high",
        "WNC: use J3590 for an FDA-approved CGT that has no product-specific HCPCS yet.",
    ),
    (
        "38228",
        "",
        "administration",
        "Chimeric antigen receptor T-cell (CAR-T) therapy; CAR-T cell administration, autologous",
        "",
        "2025-01-01",
        "",
        "",
        "",
        f"{MEDI_CAL} Table of Administration Codes; effective date: Ohio HIMA 2025-09-29 (new January 2025)",
        "medium",
        "Effective date from a secondary source; verify in AMA CPT.",
    ),
    (
        "0540T",
        "",
        "administration",
        "Chimeric antigen receptor T-cell (CAR-T) therapy; CAR-T cell administration, autologous (Category III)",
        "",
        "2019-01-01",
        "",
        "",
        "38228",
        "AAP Coding News; codingahead 0540T",
        "medium",
        "Deletion date unverified (best knowledge 2024-12-31, not used).",
    ),
]

# --------------------------------------------------------------------------------------------
# ICD-10-PCS windows. New Technology group 7 = FY2022 (from 2021-10-01), group 8 = FY2023.
# --------------------------------------------------------------------------------------------
PCS_COLUMNS = rows.columns(rows.PcsCode)  # the schema lives in cgt_claimcheck/reference/rows.py
FCSO = "First Coast (Medicare MAC) CAR-T billing page https://medicare.fcso.com/Oncology/0489859.asp"
PCS_WINDOWS = {  # code -> (effective_from, effective_to, extra source, extra note)
    "XW033A7": ("2022-02-28", "", FCSO, "FCSO: discharges on and after 2022-02-28."),
    "XW043A7": ("2022-02-28", "", FCSO, "FCSO: discharges on and after 2022-02-28."),
    "XW03368": ("2022-10-01", "", "", "New Technology group 8 = FY2023 (from 2022-10-01)."),
    "XW04368": ("2022-10-01", "", "", "New Technology group 8 = FY2023 (from 2022-10-01)."),
    "XW133B8": ("2022-10-01", "", "", "New Technology group 8 = FY2023 (from 2022-10-01)."),
    "XW143B8": ("2022-10-01", "", "", "New Technology group 8 = FY2023 (from 2022-10-01)."),
    "XW133J8": ("2022-10-01", "", WNC, "New Technology group 8 = FY2023 (from 2022-10-01). Listed in WNC.CP.299."),
    "XW143J8": ("2022-10-01", "", WNC, "New Technology group 8 = FY2023 (from 2022-10-01). Listed in WNC.CP.299."),
}
for _c in (
    "XW033H7",
    "XW043H7",
    "XW033J7",
    "XW043J7",
    "XW033K7",
    "XW043K7",
    "XW033M7",
    "XW043M7",
    "XW033N7",
    "XW043N7",
):
    PCS_WINDOWS[_c] = (
        "2021-10-01",
        "",
        FCSO,
        "New Technology group 7 = FY2022; FCSO lists these for discharges on/after 2021-10-01.",
    )
LEGACY_PCS = {  # code -> products, valid for discharges before 2021-10-01 (FCSO)
    "XW033C3": ("yescarta", "kymriah", "abecma"),
    "XW043C3": ("yescarta", "kymriah", "abecma"),
    "XW23346": ("tecartus",),
    "XW24346": ("tecartus",),
    "XW23376": ("breyanzi",),
    "XW24376": ("breyanzi",),
}


def build_pcs(src: Path) -> list[dict[str, str]]:
    rows = []
    for r in csv.DictReader(open(src / "icd10pcs.csv", encoding="utf-8")):
        code = r["code"]
        if code == "unverified":
            continue  # "no product-specific code found" rows: recorded in NOTES.md instead
        if code in LEGACY_PCS:
            for pid in LEGACY_PCS[code]:
                rows.append(
                    {
                        "code": code,
                        "product_id": pid,
                        "kind": "legacy",
                        "description": r["description"],
                        "effective_from": "",
                        "effective_to": "2021-09-30",
                        "source": r["source"],
                        "confidence": r["confidence"],
                        "notes": "Valid for discharges before 2021-10-01 per FCSO; start date unverified. "
                        + r["notes"],
                    }
                )
            continue
        if code in ("XW133H9", "XW143H9"):
            site = "Peripheral" if code[3] == "3" else "Central"
            rows.append(
                {
                    "code": code,
                    "product_id": "lyfgenia",
                    "kind": "product",
                    "description": f"Transfusion of Lovotibeglogene Autotemcel into {site} Vein, Percutaneous Approach, New Technology Group 9",
                    "effective_from": "",
                    "effective_to": "",
                    "source": f"{WNC}, Coding Implications ICD-10-PCS table",
                    "confidence": "medium",
                    "notes": "Listed in WNC.CP.299; not verifiable in the CMS tables reached (FY2023 only). Group 9 implies FY2024 (2023-10-01): start date left blank.",
                }
            )
            continue
        product = r["product"] if r["product"] in PRODUCT_FAMILY else ""
        start, end, extra_source, note = PCS_WINDOWS.get(code, ("", "", "", ""))
        rows.append(
            {
                "code": code,
                "product_id": product,
                "kind": "product" if product else "generic",
                "description": r["description"],
                "effective_from": start,
                "effective_to": end,
                "source": r["source"] + (f" ; {extra_source}" if extra_source else ""),
                "confidence": r["confidence"],
                "notes": " ".join(
                    x
                    for x in (
                        note,
                        r["notes"],
                        ""
                        if product
                        else f"Not product-specific ({r['product']}); shown by lookup, not used by rules.",
                    )
                    if x
                ),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# NDC: copied as researched; the unverified Roctavian row is left out.
# --------------------------------------------------------------------------------------------
NDC_COLUMNS = rows.columns(rows.NdcPackage)  # the schema lives in cgt_claimcheck/reference/rows.py


def build_ndc(src: Path) -> list[dict[str, str]]:
    rows = []
    for r in csv.DictReader(open(src / "ndc.csv", encoding="utf-8")):
        if not r["ndc11"].isdigit():
            continue
        rows.append(ndc_row(r, r["brand"].lower()))
    return rows


def ndc_row(r: dict[str, str], product_id: str) -> dict[str, str]:
    """An ndc.csv row from a research row (the research NDC files share these columns)."""
    return {"product_id": product_id} | {c: r[c] for c in NDC_COLUMNS if c != "product_id"}


# --------------------------------------------------------------------------------------------
# Indications: ICD-10-CM lists split into include / exclude patterns.
# Pattern syntax: "C83.3-" = the code and its children; "C83.30-C83.39" = a range;
# "D57.1" = the code and its children. codes_confidence: verified | best_knowledge | unknown.
# --------------------------------------------------------------------------------------------
IND_COLUMNS = rows.columns(rows.Indication)  # the schema lives in cgt_claimcheck/reference/rows.py
# (include, exclude, codes_confidence) per source row, in the order of indications.csv.
IND_CODES = [
    ("C83.3-;C85.2-;C85.1-", "", "best_knowledge"),
    ("C83.30-C83.39;C85.10;C85.20", "", "verified"),
    ("C82.10-C82.69;C82.80-C82.99", "", "verified"),
    ("C91.00;C91.02", "", "best_knowledge"),
    ("C83.3-;C85.2-", "", "best_knowledge"),
    ("C82.-", "", "best_knowledge"),
    ("C83.1-", "", "best_knowledge"),
    ("C91.00;C91.02", "", "best_knowledge"),
    ("C82.40-C82.49;C83.30-C83.39;C85.2-", "", "verified"),
    ("C82.40-C82.49;C83.30-C83.39;C85.2-", "", "verified"),
    ("C91.1-;C83.0-", "", "best_knowledge"),
    ("C82.00-C82.99", "", "verified"),
    ("C83.1-", "", "best_knowledge"),
    ("C88.4;C83.0-", "", "best_knowledge"),
    ("C90.00;C90.02", "", "verified"),
    ("C90.00;C90.02", "", "verified"),
    ("C90.00;C90.02", "", "verified"),
    ("C90.00;C90.02", "", "verified"),
    ("C91.00;C91.02", "", "verified"),
    ("", "", "unknown"),
    ("D57.00-D57.09;D57.1;D57.20-D57.219;D57.4-;D57.8-", "D57.3-", "verified"),
    ("D56.1;D56.5", "", "best_knowledge"),
    ("D57.-", "D57.3-", "best_knowledge"),
    ("D56.1;D56.5", "", "best_knowledge"),
    ("D67", "", "verified"),
    ("D66", "", "verified"),
    ("G71.01", "", "verified"),
    ("G71.01", "", "verified"),
    ("G12.0;G12.1", "", "verified"),
    ("H35.50;H35.52", "", "verified"),
]


def build_indications(src: Path) -> list[dict[str, str]]:
    source_rows = list(csv.DictReader(open(src / "indications.csv", encoding="utf-8")))
    if len(source_rows) != len(IND_CODES):
        raise SystemExit(f"indications.csv has {len(source_rows)} rows; IND_CODES has {len(IND_CODES)}")
    rows = []
    for r, (include, exclude, conf) in zip(source_rows, IND_CODES, strict=True):
        start = r["effective_from"] if r["effective_from"][:2] == "20" else ""
        rows.append(
            {
                "product_id": r["product"],
                "indication": r["indication"],
                "icd10cm_include": include,
                "icd10cm_exclude": exclude,
                "codes_confidence": conf,
                "min_age": r["min_age"],
                "max_age": r["max_age"],
                "effective_from": start,
                "effective_to": "",
                "source": r["source"],
                "confidence": r["confidence"],
                "notes": sentences(
                    f"Source codes as researched: {r['icd10cm_codes']}.",
                    "" if start else "Effective date unverified (treated as in force).",
                    r["notes"],
                ),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# Code sets
# --------------------------------------------------------------------------------------------
CODESET_COLUMNS = rows.columns(rows.CodesetEntry)  # the schema lives in cgt_claimcheck/reference/rows.py
RENAME_SET = {
    "fertility_preservation_cpt": "fertility_preservation",
    "fertility_preservation_hcpcs": "fertility_preservation",
    "car_t_bundled_fluids": "car_t_bundled",
    "car_t_bundled_hydration": "car_t_bundled",
    "car_t_bundled_supportive_drugs": "car_t_bundled",
    "car_t_admin_cpt": "car_t_process",
    "car_t_admin_cpt_legacy": "car_t_process_legacy",
    "clinical_trial_condition_code": "clinical_trial_condition_code",
}


# Infusion-day antiemetics, added to the supportive drugs the CAR-T premedication sentence names
# (acetaminophen, diphenhydramine come from the research CSV). Each with its reason. Never in the
# set: transfusions, growth factors, tocilizumab for CRS and other separately payable care.
HCPCS_DESCRIPTOR_SOURCE = (
    "CMS HCPCS Level II long descriptor (code active in the CMS HCPCS file), as reproduced in public "
    "claim and fee-schedule datasets (GitHub code search, 2026-12)"
)
CAR_T_SUPPORTIVE_ANTIEMETICS = [
    ("J2405", "Injection, ondansetron hydrochloride, per 1 mg"),
    ("J1626", "Injection, granisetron hydrochloride, 100 mcg"),
    ("J2469", "Injection, palonosetron hcl, 25 mcg"),
]
ANTIEMETIC_REASON = (
    "an antiemetic given on the infusion day is a supportive medication given concurrently, which the "
    "Medi-Cal CGT manual calls part of the bundled 38228 service"
)
# E/M visits: the physician's monitoring and evaluation before, during and after the CAR-T
# infusion is part of 38228, so a same-day E/M without modifier 25 is bundled (CT002).
EM_VISITS = [
    (range(99202, 99206), "Office or other outpatient visit, new patient"),
    (range(99211, 99216), "Office or other outpatient visit, established patient"),
    (range(99221, 99224), "Initial hospital inpatient or observation care"),
    (range(99231, 99234), "Subsequent hospital inpatient or observation care"),
    (range(99234, 99237), "Hospital inpatient or observation care, admitted and discharged the same day"),
    (range(99238, 99240), "Hospital inpatient or observation discharge day management"),
    (range(99281, 99286), "Emergency department visit"),
]
EM_SOURCE = "CPT code set (AMA), evaluation and management codes as revised for 2021 (office) and 2023 (hospital); code numbers as published in the CMS Physician Fee Schedule"


def _added_codesets() -> list[dict[str, str]]:
    rows = [
        {
            "codeset": "car_t_bundled",
            "code": code,
            "description": description,
            "source": HCPCS_DESCRIPTOR_SOURCE,
            "confidence": "high (descriptor) / medium (membership in the set)",
            "notes": ANTIEMETIC_REASON,
        }
        for code, description in CAR_T_SUPPORTIVE_ANTIEMETICS
    ]
    for codes, description in EM_VISITS:
        rows.extend(
            {
                "codeset": "em_visit",
                "code": str(code),
                "description": f"{description} (CPT descriptor paraphrased)",
                "source": EM_SOURCE,
                "confidence": "high",
                "notes": "38228 includes the physician's monitoring before, during and after the infusion: "
                "a same-day E/M needs modifier 25 (a significant, separately identifiable service)",
            }
            for code in codes
        )
    return rows


def build_codesets(src: Path) -> list[dict[str, str]]:
    rows = _added_codesets()
    car_t_drugs = [
        ("Q2041", "Yescarta"),
        ("Q2042", "Kymriah"),
        ("Q2053", "Tecartus"),
        ("Q2054", "Breyanzi"),
        ("Q2055", "Abecma"),
        ("Q2056", "Carvykti"),
        ("Q2058", "Aucatzyl"),
    ]
    for code, brand in car_t_drugs:
        rows.append(
            {
                "codeset": "car_t_drug",
                "code": code,
                "description": f"{brand} (CAR-T drug)",
                "source": f"{MEDI_CAL}, Table of T-Cell Therapy Procedure Codes",
                "confidence": "high",
                "notes": "The CAR-T drug codes 38228 must be billed with.",
            }
        )
    rows.append(
        {
            "codeset": "car_t_admin",
            "code": "38228",
            "description": "CAR-T cell administration, autologous",
            "source": f"{MEDI_CAL}, Table of Administration Codes for T-Cell Therapy",
            "confidence": "high",
            "notes": "",
        }
    )
    for r in csv.DictReader(open(src / "codesets.csv", encoding="utf-8")):
        codeset = r["codeset"]
        if codeset == "clinical_trial_condition_code" and r["code"] == "90":
            codeset = "expanded_access_condition_code"  # EAU is not a clinical trial
        codeset = RENAME_SET.get(codeset, codeset)
        rows.append(
            {
                "codeset": codeset,
                "code": r["code"],
                "description": r["description"],
                "source": r["source"],
                "confidence": r["confidence"],
                "notes": r["notes"],
            }
        )
    return rows


def sentences(*parts: str) -> str:
    """The non-empty parts of a note, joined."""
    return " ".join(part for part in parts if part)


# A source is cited by its publisher and document (CMS's HCPCS file, X12's remark-code list), not
# by the repository or search index a researcher happened to read a copy from: those copies are
# how the research reached the document, said once in reference_data/NOTES.md.
WHERE_A_COPY_WAS_READ = (
    r",?\s*(?:as\s+)?mirror(?:ed)?(?:\s+at)?\s+github:[^\s;,)]+(?:\s+data/\S+)?",  # "... mirrored at github:x/y:path"
    r";?\s*CMS 2020 HCPCS \(rendered\) github:\S+",
    r"\s+via https://github\.com/\S+",
    r",?\s*\(GitHub code search, [^)]*\)",
    r"\s+in public GitHub files \(index ids [^)]*\)",
    r"\s*\(GitHub (?:index|code)[^)]*\)",  # "(GitHub index id 55855037115)", "(GitHub code search, 2026-12)"
)
THIRD_PARTY_RARC = r"multiple third-party GitHub code lists \(e\.g\., index ids [^)]*\)"


def cited_by_document(source: str) -> str:
    import re

    for copy in WHERE_A_COPY_WAS_READ:
        source = re.sub(copy, "", source)
    source = re.sub(THIRD_PARTY_RARC, "third-party copies of the X12 Remittance Advice Remark Codes list", source)
    source = re.sub(r"ICD titles: GitHub index ids? [\d, ]+", "ICD titles: the ICD-10-CM code list (CDC)", source)
    if "github" in source.lower():
        raise SystemExit(f"a source still names a repository copy, cite the document instead: {source!r}")
    return source


def write_csv(out: Path, name: str, columns: list[str], rows: list[dict[str, str]]) -> None:
    sources = [c for c in columns if c.endswith("source")]
    with open(out / name, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({**row, **{c: cited_by_document(row.get(c) or "") for c in sources}} for row in rows)


# --------------------------------------------------------------------------------------------
# The 2026-11 audit (shared/reference-sources/2026-11/REPORT.md sections 3.1 and 6): wrong values
# corrected and label changes dated, each with the audit's source. Applied after the base build,
# so the base rows stay reproducible from the original research and every correction is listed
# here once.
# --------------------------------------------------------------------------------------------
AUDIT = "Reference-data audit 2026-11 (shared/reference-sources/2026-11/REPORT.md)"
LABEL_HISTORY_NOTE = (
    "Dated label change (issue 13): an expansion whose exact date is unknown starts at the latest possible date."
)
HCPCS_IN_USE_2026_11 = {  # earlier evidence of use (section 3.2), audit_hcpcs.csv
    "Q2053": ("2022-06-01", "TCHP alert 2022-06-01 https://texaschildrenshealthplan.org/es/node/6001"),
    "Q2055": ("2023-06-01", "QualChoice https://documents.qualchoice.com/area/shared/PrintPolicy.aspx?sop=BI712:00"),
    "Q2056": ("2025-06-01", "TMHP http://www.tmhp.com/news/2025-05-30-submitting-claims-some-hccad-procedure-codes"),
    "Q2057": ("2025-04-01", "TCHP https://www.texaschildrenshealthplan.org/es/node/8991"),
}
PCS_2026_11 = {  # code -> (effective_from, official title or "", reason)
    "XW033A7": (
        "2021-10-01",
        "",
        "New Technology Group 7 = FY2022 (MS-DRG v39); 2022-02-28 was the FDA approval date (audit #2)",
    ),
    "XW043A7": ("2021-10-01", "", "New Technology Group 7 = FY2022 (MS-DRG v39) (audit #3)"),
    "XW133H9": ("2023-10-01", "", "Group 9 = FY2024, confirmed in MS-DRG v41 (audit 3.2)"),
    "XW143H9": ("2023-10-01", "", "Group 9 = FY2024, confirmed in MS-DRG v41 (audit 3.2)"),
    "XW033C3": ("2017-10-01", "", "Group 3 = FY2018 (audit #10-15)"),
    "XW043C3": ("2017-10-01", "", "Group 3 = FY2018 (audit #10-15)"),
    "XW033C7": (
        "",
        "Introduction of Autologous Engineered Chimeric Antigen Receptor T-cell Immunotherapy into Peripheral Vein, Percutaneous Approach, New Technology Group 7",
        "official title (audit #4-7)",
    ),
    "XW043C7": (
        "",
        "Introduction of Autologous Engineered Chimeric Antigen Receptor T-cell Immunotherapy into Central Vein, Percutaneous Approach, New Technology Group 7",
        "official title (audit #4-7)",
    ),
    "XW033G7": (
        "",
        "Introduction of Allogeneic Engineered Chimeric Antigen Receptor T-cell Immunotherapy into Peripheral Vein, Percutaneous Approach, New Technology Group 7",
        "official title (audit #4-7)",
    ),
    "XW043G7": (
        "",
        "Introduction of Allogeneic Engineered Chimeric Antigen Receptor T-cell Immunotherapy into Central Vein, Percutaneous Approach, New Technology Group 7",
        "official title (audit #4-7)",
    ),
    "30233C0": (
        "",
        "Transfusion of Autologous Hematopoietic Stem/Progenitor Cells, Genetically Modified into Peripheral Vein, Percutaneous Approach",
        "official title (audit #8-9)",
    ),
    "30243C0": (
        "",
        "Transfusion of Autologous Hematopoietic Stem/Progenitor Cells, Genetically Modified into Central Vein, Percutaneous Approach",
        "official title (audit #8-9)",
    ),
}
PCS_SOURCE_2026_11 = "drgpy 0.2.1 MS-DRG v36-v43.1 procedure lists; drg 1.0.0 icd_10_pcs.csv (CMS FY2024 titles)"
ICD_SOURCE_2026_11 = (
    "drgpy 0.2.1 MS-DRG v41/v42 dxmap; simple-icd-10-cm 1.4.0/1.5.0 tabular (FY2025 split of C83.39 and C88.4)"
)
CASGEVY_LABEL_2026_07 = (
    "openFDA drug label snapshot https://api.fda.gov/drug/label.json?search=openfda.generic_name:%22EXAGAMGLOGENE+AUTOTEMCEL%22 "
    "(Indications and Usage revised 07/2026) ; https://www.archyde.com/fda-expands-casgevy-approval-for-patients-aged-2-with-scd-and-tdt/"
)
ELEVIDYS_2025_11 = (
    "https://www.fda.gov/news-events/press-announcements/fda-approves-new-safety-warning-and-revised-indication-limits-use-elevidys-following-reports-fatal ; "
    "https://www.aabb.org/news-resources/news/article/2025/11/17/fda-adds-boxed-warning-for-sarepta-s-dmd-gene-therapy"
)
TECELRA_CODES = "C38.0-C38.4;C38.8;C48.1;C48.2;C48.8;C49.0;C49.10-C49.12;C49.20-C49.22;C49.3-C49.6;C49.8;C49.9"


def audit_products(rows_: list[dict[str, str]]) -> list[dict[str, str]]:
    for row in rows_:
        if row["product_id"] == "tecartus":  # audit #1 and #23
            row["notes"] = (
                "C9073 existed as a Tecartus predecessor (QualChoice policy effective 2021-01-01 lists C9073 and "
                "Q2053) but is not in the CMS October 2020 HCPCS file, so it was not effective 2020-10-01; the "
                "dates of C9073 and Q2053 are unverifiable and C9073 is left out of hcpcs.csv."
            )
            row["source"] += f" ; {AUDIT} 3.1 #1, #23"
    return rows_


def audit_hcpcs(rows_: list[dict[str, str]]) -> list[dict[str, str]]:
    for row in rows_:
        if row["code"] == "Q2053":
            row["notes"] = (
                "CMS effective date unverified. C9073 preceded it (undated; not in the CMS Oct-2020 file) and is left out."
            )
    for row in rows_:
        if row["code"] in HCPCS_IN_USE_2026_11:
            day, source = HCPCS_IN_USE_2026_11[row["code"]]
            row["in_use_by"] = day
            row["source"] += f" ; in use by {day}: {source} ({AUDIT} 3.2)"
    return rows_


def audit_pcs(rows_: list[dict[str, str]]) -> list[dict[str, str]]:
    for row in rows_:
        if row["code"] in PCS_2026_11:
            start, title, reason = PCS_2026_11[row["code"]]
            if start:
                row["effective_from"] = start
            if title:
                row["description"] = title
            row["source"] += f" ; {PCS_SOURCE_2026_11} ({AUDIT})"
            row["notes"] = (row["notes"] + f" 2026-11 audit: {reason}.").strip()
    return rows_


def _remission_codes(include: str, exclude: str) -> list[str]:
    """The 'in remission' lymphoma codes (5th character A, new in FY2025) an include pattern reaches, dotted.

    Only the codes that start on 2024-10-01: C84.7A (anaplastic large cell lymphoma, ALK-negative,
    breast; from FY2022) has the same shape and is not a remission code (2026-12 audit, 6.11).
    """
    validity = OUT / "icd10cm_validity.csv"
    rows_ = [line.split(",") for line in validity.read_text(encoding="utf-8").splitlines()[1:]]
    codes = [code for code, start, _ in rows_ if start == "2024-10-01"]
    hits = [c for c in codes if re.fullmatch(r"C8[2-5][0-9A-Z]A", c) and icd_matches(c, include, exclude)]
    return [f"{c[:3]}.{c[3:]}" for c in hits]


def audit_indications(rows_: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for row in rows_:
        pid, include = row["product_id"], row["icd10cm_include"]
        if PRODUCT_FAMILY.get(pid) == "car-t" and icd_matches("C83390", include, row["icd10cm_exclude"]):
            # C83.39 split on 2024-10-01: C83.39 (billable to 2024-09-30) and C83.398 stay in the range;
            # primary CNS lymphoma C83.390 is outside every CAR-T label (audit #16-18).
            row["icd10cm_exclude"] = ";".join(x for x in (row["icd10cm_exclude"], "C83.390") if x)
            row["source"] += f" ; {ICD_SOURCE_2026_11} ({AUDIT} 3.1 #16-18)"
        if pid == "breyanzi" and include.startswith("C88.4;"):
            row["icd10cm_include"] = include.replace("C88.4;", "C88.40;")  # C88.4 is a header from FY2025 (#19)
            row["source"] += f" ; {ICD_SOURCE_2026_11} ({AUDIT} 3.1 #19)"
        if pid == "yescarta" and "follicular" in row["indication"]:
            # From the label's indication (follicular lymphoma = category C82), not a state PA list.
            row["icd10cm_include"] = "C82.-"
            row["source"] = (
                "YESCARTA label, Indications and Usage: relapsed or refractory follicular lymphoma after two or more "
                "lines of systemic therapy (ICD-10-CM category C82, follicular lymphoma) ; " + row["source"]
            )
            row["notes"] = (
                row["notes"] + " 2026-11: codes from the label's disease (C82.-), not the Texas PA list."
            ).strip()
        if pid == "tecelra":
            row["icd10cm_include"] = TECELRA_CODES
            row["codes_confidence"] = "best_knowledge"
            row["source"] += f" ; codes: TCHP https://www.texaschildrenshealthplan.org/es/node/8991 ({AUDIT} 3.4)"
            row["notes"] = (
                row["notes"]
                + " No synovial-sarcoma code exists: the codes are the soft-tissue sites a payer list uses."
            ).strip()
        if pid == "casgevy":
            # 12 and over until the 07/2026 label; from then 2 and over (low confidence: the label text
            # itself was not read). The exact July date is unknown: the change starts 2026-07-31.
            out.append(row | {"effective_to": "2026-07-30"})
            row = row | {
                "min_age": "2",
                "effective_from": "2026-07-31",
                "effective_to": "",
                "source": CASGEVY_LABEL_2026_07,
                "confidence": "low (age 2 reported, label text not read)",
                "notes": f"2026-11 audit #20-21: label revised 07/2026 to ages 2 and over. {LABEL_HISTORY_NOTE}",
            }
        if pid == "elevidys" and row["max_age"] == "" and "non-ambulatory" in row["indication"]:
            out.append(row | {"effective_to": "2025-11-13"})
            row = row | {
                "indication": "Ambulatory patients aged 4 years and older with Duchenne muscular dystrophy and a "
                "confirmed mutation in the DMD gene (non-ambulatory indication removed 2025-11-14)",
                "effective_from": "2025-11-14",
                "effective_to": "",
                "source": ELEVIDYS_2025_11,
                "confidence": "high",
                "notes": "2026-11 audit #22. Whether the member walks is not on a claim: the age and code rules "
                "are the same as before, the indication text says what changed.",
            }
        remission = (
            _remission_codes(row["icd10cm_include"], row["icd10cm_exclude"])
            if PRODUCT_FAMILY.get(pid) == "car-t"
            else []
        )
        if remission:
            # Decision (REPORT.md 3.1 #16 asks for one): the FY2025 "in remission" lymphoma codes
            # (C82.0A ... C85.9A) are not the relapsed or refractory disease the CAR-T labels treat.
            row["icd10cm_exclude"] = ";".join(x for x in (row["icd10cm_exclude"], *remission) if x)
            row["notes"] = sentences(
                row["notes"], "In-remission codes (FY2025 'A' codes) are excluded: not r/r disease."
            )
        out.append(row)
    return out


# --------------------------------------------------------------------------------------------
# Every FDA-approved CGT the bundle lacked (2026-11 audit section 4: new_products.csv, new_ndc.csv,
# new_icd10pcs.csv, new_indications.csv, zolgensma_kits.csv). Family "other": neither policy
# names them, so the site-of-care and carve-out rules do not apply; PA, invoice, NDC, coding and
# label rules do. Values the audit marks unverifiable stay blank.
# --------------------------------------------------------------------------------------------
NEW_PRODUCTS = (
    "lenmeldy kebilidi beqvez skysona zevaskyn encelto vyjuvek adstiladrin ryoncil amtagvi omisirge lantidra "
    "kresladi waskyra papzimeos itvisma imlygic provenge tudriqev"
).split()  # Rethymic, StrataGraft (tissue constructs), Symvess (not a CGT) and unapproved products: left out
# Given more than once by their labels (REPORT.md 6.8); Provenge is three infusions about two weeks apart.
REPEAT_DOSING |= {"vyjuvek", "adstiladrin", "ryoncil", "imlygic", "tudriqev", "encelto", "provenge"}
NEW_BILLING_UNIT = {"adstiladrin": "per_therapeutic_dose", "imlygic": "per_1e6_pfu", "provenge": "per_infusion"}
# Product-specific codes: code -> (effective_from, in_use_by); dates from new_products.csv.
NEW_HCPCS = {
    "lenmeldy": "J3391",
    "zevaskyn": "J3389",
    "encelto": "J3403",
    "vyjuvek": "J3401",
    "ryoncil": "J3402",
    "adstiladrin": "J9029",
    "imlygic": "J9325",
    "provenge": "Q2043",
}
# "J3590 (NC, DOS >= 2023-07-15) -> J3401": the benefit starts 2024-01-01 (TCHP alert 2023-12-06,
# 2026-12 audit 6.9; the 2026-11 audit had the Texas PA date 2024-02-01).
VYJUVEK_IN_USE = "2024-01-01"
NEW_DIR = "2026-11"


def _clean_date(text: str) -> str:
    """A full ISO date as written, else blank (the audit marks partial or unverified dates in words)."""
    text = text.strip()
    return text if len(text) == 10 and text[:2] == "20" and text[4] == "-" else ""


def _month_end(text: str) -> str:
    """'2026-03' -> '2026-03-31': a start known only to the month never widens earlier dates."""
    import calendar

    year, month = (int(x) for x in text.split("-"))
    return f"{text}-{calendar.monthrange(year, month)[1]:02d}"


def _without_duplicates(ndc_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The first row of each NDC (a kit the base tables already hold keeps its row)."""
    seen: set[str] = set()
    return [r for r in ndc_rows if not (r["ndc11"] in seen or seen.add(r["ndc11"]))]


def build_new_products(src: Path) -> dict[str, list[dict[str, str]]]:
    new = src / NEW_DIR
    products, hcpcs, ndc, pcs, indications = [], [], [], [], []
    for r in csv.DictReader(open(new / "new_products.csv", encoding="utf-8")):
        pid = r["product_id"]
        if pid not in NEW_PRODUCTS:
            continue
        labeler = r["labeler_code"].strip()
        products.append(
            {
                "product_id": pid,
                "brand": r["brand"],
                "generic": r["generic"],
                "family": "other",
                "category": r["category"],
                "billing_unit": NEW_BILLING_UNIT.get(pid, ""),
                "manufacturer": r["manufacturer"],
                "labeler_code": labeler if labeler.isdigit() and len(labeler) == 5 else "",
                "fda_approval_date": _clean_date(r["fda_approval_date"]),
                "dosing": "repeat" if pid in REPEAT_DOSING else "once",
                "source": f"{r['source']} ({AUDIT} section 4)",
                "confidence": r["confidence"],
                "notes": sentences(r["status"], r["notes"], f"Approval: {r['fda_approval_date']}."),
            }
        )
        if pid in NEW_HCPCS:
            descriptor = r["hcpcs_descriptor"]
            in_use = r["hcpcs_in_use_by"] or (VYJUVEK_IN_USE if pid == "vyjuvek" else "")
            hcpcs.append(
                {
                    "code": NEW_HCPCS[pid],
                    "product_id": pid,
                    "kind": "product",
                    "descriptor": descriptor
                    if descriptor and not descriptor.startswith("unverifiable")
                    else f"{r['brand']} (descriptor not verified)",
                    "billing_unit": NEW_BILLING_UNIT.get(pid, ""),
                    "effective_from": _clean_date(r["hcpcs_effective_from"]),
                    "effective_to": "",
                    "in_use_by": _clean_date(in_use),
                    "successor": "",
                    "source": f"{r['source']} ({AUDIT} section 4)",
                    "confidence": r["confidence"],
                    "notes": "CMS effective date unverified; in_use_by is the first Medicaid use found."
                    if not _clean_date(r["hcpcs_effective_from"])
                    else "",
                    "max_units_per_day": "",
                    "max_units_basis": "",
                    "max_units_source": "",
                }
            )
    brands = {p["brand"].lower(): p["product_id"] for p in products}
    for r in csv.DictReader(open(new / "new_ndc.csv", encoding="utf-8")):
        ndc.append(ndc_row(r, brands[r["brand"].lower()]))
    for r in csv.DictReader(open(new / "zolgensma_kits.csv", encoding="utf-8")):
        ndc.append(
            {
                "ndc11": r["ndc11"],
                "product_id": "zolgensma",
                "labeler": "Novartis Gene Therapies, Inc.",
                "package_description": f"kit of {r['vials_per_kit']} vials for {r['weight_kg_from']}-{r['weight_kg_to']} kg "
                f"({r['dose_volume_ml']} mL dose)",
                "level": "package (weight-band kit)",
                "ndc_as_listed": r["ndc_as_listed"],
                "source": r["source"],
                "confidence": r["confidence"],
            }
        )
    for r in csv.DictReader(open(new / "new_icd10pcs.csv", encoding="utf-8")):
        if r["product"] in NEW_PRODUCTS:
            pcs.append(
                {
                    "code": r["code"],
                    "product_id": r["product"],
                    "kind": "product",
                    "description": r["description"],
                    "effective_from": _clean_date(r["effective_from"]),
                    "effective_to": "",
                    "source": r["source"],
                    "confidence": r["confidence"],
                    "notes": r["notes"],
                }
            )
    for r in csv.DictReader(open(new / "new_indications.csv", encoding="utf-8")):
        codes = r["icd10cm_codes"].split(" (")[0].strip()
        unknown = codes.startswith("unverifiable") or not codes
        guessed = "title-matched" in r["icd10cm_codes"] or r["confidence"].startswith("low")
        start = r["effective_from"].strip()
        indications.append(
            {
                "product_id": r["product"],
                "indication": r["indication"],
                "icd10cm_include": "" if unknown else codes,
                "icd10cm_exclude": "",
                "codes_confidence": "unknown" if unknown else "best_knowledge" if guessed else "verified",
                "min_age": r["min_age"].split(" ")[0] if r["min_age"][:1].isdigit() else "",
                "max_age": r["max_age"] if r["max_age"].isdigit() else "",
                "effective_from": _month_end(start) if len(start) == 7 else _clean_date(start),
                "effective_to": "",
                "source": r["source"],
                "confidence": r["confidence"],
                "notes": sentences(
                    f"Source codes as researched: {r['icd10cm_codes']}.",
                    f"Sex on the label: {r['sex']}." if r["sex"] else "",
                    r["notes"],
                ),
            }
        )
    return {"products": products, "hcpcs": hcpcs, "ndc": ndc, "icd10pcs": pcs, "indications": indications}


# --------------------------------------------------------------------------------------------
# The 2026-12 audit (shared/reference-sources/2026-12/README.md section 6): what the tables still
# got wrong, each correction with its source. Applied after the 2026-11 steps.
# --------------------------------------------------------------------------------------------
AUDIT_12 = "Reference audit 2026-12 (shared/reference-sources/2026-12/README.md section 6)"
# Given more than once by their labels (6.2, 6.3): the once-per-lifetime rules skip them.
REPEAT_DOSING_2026_12 = {
    "papzimeos": "label regimen: 4 subcutaneous injections over 12 weeks (Precigen approval coverage: "
    "respiratory-therapy.com; Conexiant; HealthyToday 2025-08-15)",
    "lantidra": "the label allows a second and a third infusion (http://www.drugs.com/dosage/lantidra.html)",
}
APPROVAL_DATES_2026_12 = {  # 6.5, 6.9: product -> (FDA approval date, source)
    "kresladi": ("2026-03-26", "hypersinc (approval 2026-03-26); openFDA NDC 83537-034-01 marketing start 2026-03-26"),
    "zevaskyn": ("2025-04-29", "ConsultantLive (2025-04-29 approval)"),
    "encelto": ("2025-03-05", "2026-12 audit 6.9"),
    "vyjuvek": ("2023-05-19", "2026-12 audit 6.9"),
    "adstiladrin": ("2022-12-16", "FDA D.I.S.C.O."),
    "waskyra": ("2025-12-09", "Contemporary Pediatrics citing the FDA (2025-12-09)"),
    "beqvez": ("2024-04-26", "announced 2024-04-26 (2026-12 audit 6.9)"),
}
PCS_STARTS_2026_12 = {  # 6.9: New Technology group digit 6 = FY2021, 7 = FY2022 (2026-11 REPORT.md 3.2)
    **dict.fromkeys(("XW23346", "XW24346", "XW23376", "XW24376"), "2020-10-01"),
    **dict.fromkeys(("XW033C7", "XW043C7", "XW033G7", "XW043G7"), "2021-10-01"),
}
ELEVIDYS_2024_06 = "FDA press release 2024-06-20 (label expansion to ages 4 and over)"
SKYSONA_2025_08 = "FDA safety labeling change 2025-08-07 (drugs.com FDA alert; epocrates)"
OMISIRGE_SOURCES = (
    "https://www.contemporarypediatrics.com/view/fda-approves-omidubicel-onlv-as-first-hsct-therapy-to-treat-severe-aplastic-anemia ; "
    "https://www.healthday.com/healthpro-news/blood-disorders/fda-approves-first-stem-cell-therapy-for-severe-aplastic-anemia"
)


def audit_2026_12_products(rows_: list[dict[str, str]]) -> list[dict[str, str]]:
    for row in rows_:
        pid = row["product_id"]
        if pid in REPEAT_DOSING_2026_12:
            row["dosing"] = "repeat"
            row["source"] += f" ; dosing: {REPEAT_DOSING_2026_12[pid]} ({AUDIT_12} 6.2-6.3)"
        if pid in APPROVAL_DATES_2026_12 and not row["fda_approval_date"]:
            day, source = APPROVAL_DATES_2026_12[pid]
            row["fda_approval_date"] = day
            row["source"] += f" ; approval {day}: {source} ({AUDIT_12})"
        if pid == "kresladi":
            row["fda_approval_date"] = APPROVAL_DATES_2026_12["kresladi"][0]
    return rows_


def audit_2026_12_hcpcs(rows_: list[dict[str, str]]) -> list[dict[str, str]]:
    for row in rows_:
        if row["code"] == "J3401":
            row["in_use_by"] = VYJUVEK_IN_USE
            row["source"] += f" ; in use by {VYJUVEK_IN_USE}: TCHP alert 2023-12-06 ({AUDIT_12} 6.9)"
    return rows_


def audit_2026_12_pcs(rows_: list[dict[str, str]]) -> list[dict[str, str]]:
    for row in rows_:
        if row["code"] in PCS_STARTS_2026_12 and not row["effective_from"]:
            row["effective_from"] = PCS_STARTS_2026_12[row["code"]]
            row["source"] += f" ; start: New Technology group digit ({AUDIT_12} 6.9)"
            row["notes"] = row["notes"].replace("start date unverified", "start from the group digit").strip()
    return rows_


def audit_2026_12_indications(rows_: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for row in rows_:
        pid = row["product_id"]
        if pid == "zevaskyn":  # 6.4: 6 and over is the Texas PA criterion; the label has no age limit
            row["min_age"] = ""
            row["source"] += (
                f" ; age: label 'adult and pediatric', no minimum (ConsultantLive; TMHP 2026-04-17; {AUDIT_12} 6.4)"
            )
            row["notes"] = (
                "Source codes as researched: Q81.2. The label covers adult and pediatric patients (no minimum age); 6+ is a Texas PA criterion."
            )
        if pid == "kresladi":  # 6.5
            row["effective_from"] = "2026-03-26"
            row["source"] += f" ; {APPROVAL_DATES_2026_12['kresladi'][1]} ({AUDIT_12} 6.5)"
        if pid == "waskyra":  # 6.6
            row["effective_from"] = "2025-12-09"
            row["indication"] = (
                "Pediatric patients 6 months and older and adults with Wiskott-Aldrich syndrome and a WAS mutation, "
                "for whom HSCT is appropriate and no suitable HLA-matched related donor is available"
            )
            row["source"] += f" ; {APPROVAL_DATES_2026_12['waskyra'][1]} ({AUDIT_12} 6.6)"
        if pid == "breyanzi" and row["indication"].startswith("Marginal zone lymphoma"):  # 6.9
            row["indication"] = (
                "Adults with relapsed or refractory marginal zone lymphoma after two or more prior lines of systemic therapy"
            )
            row["source"] += f" ; text: FDA 2025-12-04 (Pharmacy Times) ({AUDIT_12} 6.9)"
        if pid == "casgevy" and "thalassemia" in row["indication"] and not row["effective_from"]:
            row["effective_from"] = "2024-01-16"  # 6.9: TDT approval
            row["source"] += f" ; TDT approval 2024-01-16: Reuters ({AUDIT_12} 6.9)"
            row["notes"] = row["notes"].replace(
                "Effective date unverified (treated as in force). FDA date best knowledge 2024-01-16.",
                "FDA approval 2024-01-16 (Reuters).",
            )
        if pid == "elevidys" and row["max_age"] == "5":  # the original 4-5 row ends with the expansion
            row["effective_to"] = "2024-06-19"
            row["source"] += f" ; superseded: {ELEVIDYS_2024_06} ({AUDIT_12})"
        if pid == "elevidys" and row["max_age"] == "" and row["effective_to"] == "2025-11-13":
            row["effective_from"] = "2024-06-20"
            row["source"] += f" ; {ELEVIDYS_2024_06} ({AUDIT_12})"
            row["notes"] = row["notes"].replace("Effective date unverified (treated as in force). ", "")
        if pid == "skysona":  # 6.7: restricted from 2025-08-07
            out.append(row | {"effective_to": "2025-08-06"})
            row = row | {
                "indication": "Boys 4-17 years with early, active cerebral adrenoleukodystrophy (CALD) without an "
                "available HLA-matched allogeneic hematopoietic stem cell donor",
                "effective_from": "2025-08-07",
                "source": f"{SKYSONA_2025_08} ; codes and ages: {row['source']} ({AUDIT_12} 6.7)",
                "notes": "2026-12 audit 6.7: indication restricted by the 2025-08-07 safety labeling change; codes "
                "and ages as before.",
            }
        if pid == "omisirge":  # 6.8: two dated indications; the codes stay unknown (not judged)
            out.append(
                row
                | {
                    "indication": "Adults and pediatric patients 12 years and older with hematologic malignancies "
                    "planned for umbilical cord blood transplantation after myeloablative conditioning",
                    "min_age": "12",
                    "effective_from": "2023-04-30",
                    "source": f"{OMISIRGE_SOURCES} ({AUDIT_12} 6.8)",
                    "notes": "Approved April 2023 (day unverified): starts at the month's end. Codes unverifiable.",
                }
            )
            row = row | {
                "indication": "Patients 6 years and older with severe aplastic anemia after reduced-intensity conditioning",
                "min_age": "6",
                "effective_from": "2025-12-08",
                "source": f"{OMISIRGE_SOURCES} ({AUDIT_12} 6.8)",
                "notes": "Codes unverifiable.",
            }
        out.append(row)
    out += [
        {  # 6.11: Imlygic's indication as the label words it; its codes were not sourced (not judged)
            "product_id": "imlygic",
            "indication": "Local treatment of unresectable cutaneous, subcutaneous and nodal lesions in patients with "
            "melanoma recurrent after initial surgery",
            "icd10cm_include": "",
            "icd10cm_exclude": "",
            "codes_confidence": "unknown",
            "min_age": "",
            "max_age": "",
            "effective_from": "2015-10-27",
            "effective_to": "",
            "source": "https://genetherapynetwork.com/timeline/first-oncolytic-gene-therapy-talimogene-laherparepvec-"
            f"approved-in-both-the-us-and-eu-for-early-stage-metastatic-melanoma ({AUDIT_12} 6.11)",
            "confidence": "medium (text) / unknown (codes)",
            "notes": "Codes unverified (recurrent melanoma is coded by site, secondary and history codes): CV006 does not judge them.",
        },
        {  # 6.11: Lantidra; type 1 diabetes is ICD-10-CM category E10
            "product_id": "lantidra",
            "indication": "Adults with type 1 diabetes unable to approach target HbA1c because of current repeated "
            "episodes of severe hypoglycemia despite intensive diabetes management and education",
            "icd10cm_include": "E10.-",
            "icd10cm_exclude": "",
            "codes_confidence": "best_knowledge",
            "min_age": "18",
            "max_age": "",
            "effective_from": "",
            "effective_to": "",
            "source": f"http://www.drugs.com/dosage/lantidra.html ; https://drugs.com/monograph/donislecel-jujn.html ({AUDIT_12} 6.11)",
            "confidence": "medium",
            "notes": "E10.- is the ICD-10-CM category of the labeled disease. Approval date not checked (treated as in force).",
        },
    ]
    return out


def main(src: Path, out: Path = OUT) -> None:
    added = build_new_products(src)
    products = audit_products(build_products(src)) + added["products"]
    write_csv(out, "products.csv", PRODUCT_COLUMNS, audit_2026_12_products(products))
    write_csv(out, "hcpcs.csv", HCPCS_COLUMNS, audit_2026_12_hcpcs(audit_hcpcs(build_hcpcs()) + added["hcpcs"]))
    write_csv(out, "ndc.csv", NDC_COLUMNS, _without_duplicates(build_ndc(src) + added["ndc"]))
    write_csv(out, "icd10pcs.csv", PCS_COLUMNS, audit_2026_12_pcs(audit_pcs(build_pcs(src)) + added["icd10pcs"]))
    indications = audit_2026_12_indications(audit_indications(build_indications(src)) + added["indications"])
    write_csv(out, "indications.csv", IND_COLUMNS, indications)
    write_csv(out, "codesets.csv", CODESET_COLUMNS, build_codesets(src))
    update_manifest(out)


def update_manifest(out: Path = OUT) -> None:
    """Recompute row counts and sha256 of every table listed in manifest.json."""
    path = out / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["release"], manifest["released"] = RELEASE, RELEASED
    for table in manifest["tables"].values():
        data = (out / table["file"]).read_bytes()
        table["sha256"] = hashlib.sha256(data).hexdigest()
        if table["file"].endswith(".csv"):
            lines = list(csv.reader(io.StringIO(data.decode("utf-8"))))
            table["columns"] = lines[0]
            table["rows"] = len(lines) - 1
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    args = sys.argv[1:]
    out = OUT
    if len(args) >= 2 and args[-2] == "--out":
        out, args = Path(args[-1]), args[:-2]
    if args == ["--manifest-only"]:
        update_manifest(out)
    elif len(args) == 1:
        main(Path(args[0]), out)
    else:
        raise SystemExit(__doc__)
