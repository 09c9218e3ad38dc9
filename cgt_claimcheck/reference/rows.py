"""The reference rows as used at run time: plain frozen dataclasses.

The pydantic models in `tables.py` validate a table set once; the validated rows are kept as
these dataclasses (and cached by checksum), so `lookup` and `--help` start without importing
pydantic. Field names mirror tables.py one to one (a test checks it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Codes billed "per treatment / per therapeutic dose / per infusion" are billed as one unit.
ONE_UNIT_BILLING = frozenset({"per_treatment", "per_therapeutic_dose", "per_infusion"})

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
    family: str
    category: str
    billing_unit: str
    manufacturer: str
    labeler_code: str | None = None
    fda_approval_date: date | None = None
    source: str
    confidence: str
    notes: str = ""


@row
class HcpcsCode(_WindowMixin):
    effective_from: date | None = None
    effective_to: date | None = None
    code: str
    product_id: str | None = None
    kind: str
    descriptor: str
    billing_unit: str | None = None
    in_use_by: date | None = None
    successor: str | None = None
    source: str
    confidence: str
    notes: str = ""


@row
class NdcPackage:
    ndc11: str
    product_id: str
    labeler: str
    package_description: str
    level: str
    ndc_as_listed: str
    source: str
    confidence: str


@row
class PcsCode(_WindowMixin):
    effective_from: date | None = None
    effective_to: date | None = None
    code: str
    product_id: str | None = None
    kind: str
    description: str
    source: str
    confidence: str
    notes: str = ""


@row
class Indication:
    product_id: str
    indication: str
    icd10cm_include: str = ""
    icd10cm_exclude: str = ""
    codes_confidence: str
    min_age: int | None = None
    max_age: int | None = None
    effective_from: date | None = None
    source: str
    confidence: str
    notes: str = ""

    def active_on(self, day: date) -> bool:
        return self.effective_from is None or self.effective_from <= day


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
    certification: str
    families: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    citation: str
    note: str = ""


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
    hospital_outpatient_only_families: list[str] = field(default_factory=list)
    outpatient_bill_type_prefix: str | None = None
    outpatient_places_of_service: list[str] = field(default_factory=list)
    certification: list[Certification] = field(default_factory=list)
    carve_out: list[CarveOut] = field(default_factory=list)


@row
class PayerProfile:
    name: str
    program: str
    delivery: str


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
