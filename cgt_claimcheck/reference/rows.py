"""The reference schema, declared once: one dataclass per table (and per payers.toml section).

Each table's columns are its dataclass's fields, in CSV column order. The same declaration
serves three purposes:
- `tables.py` derives the pydantic models that validate a table set on load (types, Literal
  vocabularies, blank cells as None, and the format checks in each field's `metadata`);
- the validated rows are kept as these dataclasses (cached by checksum), so `lookup` and
  `--help` start without importing pydantic;
- `scripts/build_reference_data.py` writes each table's header from `columns(cls)`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from cgt_claimcheck.value_parsers import HCPCS_PATTERN, PCS_PATTERN

# "other": an FDA-approved CGT in a family neither policy names (issue 13): the PA, invoice, NDC,
# coding and label rules apply to it; the site-of-care and carve-out rules, written for the
# products each policy names, do not.
Family = Literal["car-t", "tcr-t", "hemoglobinopathy", "hemophilia", "dmd", "sma", "retinal", "other"]
BillingUnit = Literal["per_treatment", "per_therapeutic_dose", "per_infusion", "per_ml", "per_1e9_vg", "per_1e6_pfu"]

# Codes billed "per treatment / per therapeutic dose / per infusion" are billed as one unit.
ONE_UNIT_BILLING = frozenset({"per_treatment", "per_therapeutic_dose", "per_infusion"})


def _hcpcs(value: str | None) -> str | None:
    if value is not None and not HCPCS_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a HCPCS/CPT code (A9999 or 9999X)")
    return value


def _pcs(value: str) -> str:
    if not PCS_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a 7-character ICD-10-PCS code")
    return value


def _ndc11(value: str) -> str:
    if not (value.isdigit() and value.isascii() and len(value) == 11):
        raise ValueError(f"{value!r} is not an 11-digit NDC")
    return value


def checked(check: Any, default: Any = dataclasses.MISSING) -> Any:
    """A field whose value must pass `check` (a function that raises ValueError) on load."""
    return field(default=default, metadata={"check": check})


def columns(cls: type) -> list[str]:
    """A table's CSV header: its fields in declaration order."""
    return [f.name for f in dataclasses.fields(cls)]


# Only __init__ is generated: each generated method costs start-up time that `lookup` cannot spare.
row = dataclass(kw_only=True, eq=False, repr=False)


def window_text(row: Any) -> str:
    """'2018-01-01 to 2018-12-31' for any row with effective_from / effective_to."""
    start = row.effective_from.isoformat() if row.effective_from else "unknown start"
    end = row.effective_to.isoformat() if row.effective_to else "open"
    return f"{start} to {end}"


class _WindowMixin:
    """Rows valid on dates of service from effective_from to effective_to (both inclusive)."""

    effective_from: date | None
    effective_to: date | None

    def valid_on(self, day: date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def window_text(self) -> str:
        return window_text(self)


@row
class Product:
    product_id: str
    brand: str
    generic: str
    family: Family
    category: str
    billing_unit: BillingUnit | None = None
    manufacturer: str
    labeler_code: str | None = None
    fda_approval_date: date | None = None
    # once: a one-time, lifetime treatment (the repeat-treatment rule applies); repeat: the label
    # gives it more than once (topical, intralesional or per-eye products), so it does not.
    dosing: Literal["once", "repeat"] = "once"
    source: str
    confidence: str
    notes: str = ""


@row
class HcpcsCode(_WindowMixin):
    code: str = checked(_hcpcs)
    product_id: str | None = None
    kind: Literal["product", "predecessor", "unclassified", "administration"]
    descriptor: str
    billing_unit: BillingUnit | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    in_use_by: date | None = None
    successor: str | None = checked(_hcpcs, None)
    source: str
    confidence: str
    notes: str = ""
    # The label's fixed maximum per administration, in billing units per date of service (CD005);
    # blank where the label doses by weight or the code is per treatment (CD004 checks those).
    max_units_per_day: int | None = None
    max_units_basis: str = ""
    max_units_source: str = ""


@row
class NdcPackage:
    ndc11: str = checked(_ndc11)
    product_id: str
    labeler: str
    package_description: str
    level: str
    ndc_as_listed: str
    source: str
    confidence: str


@row
class PcsCode(_WindowMixin):
    code: str = checked(_pcs)
    product_id: str | None = None
    kind: Literal["product", "legacy", "generic"]
    description: str
    effective_from: date | None = None
    effective_to: date | None = None
    source: str
    confidence: str
    notes: str = ""


@row
class Indication:
    product_id: str
    indication: str
    icd10cm_include: str = ""
    icd10cm_exclude: str = ""
    codes_confidence: Literal["verified", "best_knowledge", "unknown"]
    min_age: int | None = None
    max_age: int | None = None
    effective_from: date | None = None
    source: str
    confidence: str
    notes: str = ""
    # A label change ends the row the day before the new one starts (blank: in force).
    effective_to: date | None = None

    def active_on(self, day: date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


@row
class CodesetEntry:
    codeset: str
    code: str
    description: str
    source: str
    confidence: str
    notes: str = ""


@row
class Certification(_WindowMixin):
    effective_from: date | None = None
    effective_to: date | None = None
    certification: Literal["QTC", "REMS", "HTC"]
    families: list[Family] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    citation: str
    note: str = ""
    # From this date of service the requirement is no longer enforced (a missing certification is
    # information that names the change), while the policy text still names it.
    superseded_on: date | None = None
    superseded_note: str = ""


@row
class CarveOut:
    product: str
    code: str
    effective_from: date
    diagnoses_include: list[str]
    diagnoses_exclude: list[str] = field(default_factory=list)
    citation: str
    note: str = ""


@row
class Program:
    policy: str
    policy_date: str
    document: str
    epsdt_under_age: int | None = None
    repeat_treatment_window_days: int | None = None
    hospital_outpatient_only_families: list[Family] = field(default_factory=list)
    # Types of bill (first three digits) that are hospital outpatient: 013x, and 085x for a
    # critical access hospital's outpatient department.
    outpatient_bill_type_prefixes: list[str] = field(default_factory=list)
    outpatient_places_of_service: list[str] = field(default_factory=list)
    # prior_auth values that stand for "no number" (compared trimmed, case-insensitively); values
    # of only zeros or only X are placeholders too.
    placeholder_prior_auth: list[str] = field(default_factory=list)
    certification: list[Certification] = field(default_factory=list)
    carve_out: list[CarveOut] = field(default_factory=list)


@row
class PayerProfile:
    name: str
    program: Literal["wnc", "medi-cal"]
    delivery: Literal["managed-care", "ffs"]


@row
class PayersFile:
    payer: dict[str, PayerProfile]
    program: dict[str, Program]


@row
class ManifestTable:
    file: str
    sha256: str
    columns: list[str] = field(default_factory=list)
    rows: int | None = None
    # For a table of dated validity (the ICD-10 tables): the dates of service it can judge, and
    # where it comes from. Outside [covers_from, covers_through] a code is not judged.
    covers_from: date | None = None
    covers_through: date | None = None
    source: str = ""


@row
class ManifestPolicy:
    id: str
    title: str
    date: str


@row
class Manifest:
    release: str
    released: str
    policies: list[ManifestPolicy]
    tables: dict[str, ManifestTable]
    # The last date of service the tables were checked against sources for (IN007 warns past it).
    verified_through: date | None = None


def as_json(row: Any) -> Any:
    """A row (or list/dict of rows) as JSON-ready data: dates as ISO text."""
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return {f.name: as_json(getattr(row, f.name)) for f in dataclasses.fields(row)}
    if isinstance(row, list):
        return [as_json(item) for item in row]
    if isinstance(row, dict):
        return {key: as_json(value) for key, value in row.items()}
    if isinstance(row, date):
        return row.isoformat()
    return row
