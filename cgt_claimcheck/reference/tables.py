"""Row models of the reference tables: one pydantic model per table, validated on load."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

from cgt_claimcheck.value_parsers import HCPCS_PATTERN, PCS_PATTERN


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


OptionalDate = Annotated[date | None, BeforeValidator(_blank_to_none)]
OptionalInt = Annotated[int | None, BeforeValidator(_blank_to_none)]
OptionalStr = Annotated[str | None, BeforeValidator(_blank_to_none)]

Family = Literal["car-t", "tcr-t", "hemoglobinopathy", "hemophilia", "dmd", "sma", "retinal"]
BillingUnit = Literal["per_treatment", "per_therapeutic_dose", "per_infusion", "per_ml", "per_1e9_vg"]
# Codes billed "per treatment / per therapeutic dose / per infusion" are billed as one unit.
ONE_UNIT_BILLING = frozenset({"per_treatment", "per_therapeutic_dose", "per_infusion"})


class Row(BaseModel):
    # defer_build: schemas are built on first validation, not at import. `lookup` usually
    # reads rows from the validation cache and never pays for schema generation.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, defer_build=True)


class Window(Row):
    """A row valid on dates of service from effective_from to effective_to (both inclusive)."""

    effective_from: OptionalDate = None
    effective_to: OptionalDate = None


class Product(Row):
    product_id: str
    brand: str
    generic: str
    family: Family
    category: str
    billing_unit: BillingUnit
    manufacturer: str
    labeler_code: OptionalStr = None
    fda_approval_date: OptionalDate = None
    source: str
    confidence: str
    notes: str = ""


class HcpcsCode(Window):
    code: str
    product_id: OptionalStr = None
    kind: Literal["product", "predecessor", "unclassified", "administration"]
    descriptor: str
    billing_unit: Annotated[BillingUnit | None, BeforeValidator(_blank_to_none)] = None
    in_use_by: OptionalDate = None
    successor: OptionalStr = None
    source: str
    confidence: str
    notes: str = ""

    @field_validator("code", "successor")
    @classmethod
    def _hcpcs_format(cls, value: str | None) -> str | None:
        if value is not None and not HCPCS_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a HCPCS/CPT code (A9999 or 9999X)")
        return value


class NdcPackage(Row):
    ndc11: str
    product_id: str
    labeler: str
    package_description: str
    level: str
    ndc_as_listed: str
    source: str
    confidence: str

    @field_validator("ndc11")
    @classmethod
    def _eleven_digits(cls, value: str) -> str:
        if not (value.isdigit() and len(value) == 11):
            raise ValueError(f"{value!r} is not an 11-digit NDC")
        return value


class PcsCode(Window):
    code: str
    product_id: OptionalStr = None
    kind: Literal["product", "legacy", "generic"]
    description: str
    source: str
    confidence: str
    notes: str = ""

    @field_validator("code")
    @classmethod
    def _pcs_format(cls, value: str) -> str:
        if not PCS_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a 7-character ICD-10-PCS code")
        return value


class Indication(Row):
    product_id: str
    indication: str
    icd10cm_include: str = ""
    icd10cm_exclude: str = ""
    codes_confidence: Literal["verified", "best_knowledge", "unknown"]
    min_age: OptionalInt = None
    max_age: OptionalInt = None
    effective_from: OptionalDate = None
    source: str
    confidence: str
    notes: str = ""


class CodesetEntry(Row):
    codeset: str
    code: str
    description: str
    source: str
    confidence: str
    notes: str = ""


# --- payer profiles (payers.toml) --------------------------------------------------------------
class Certification(Window):
    certification: Literal["QTC", "REMS", "HTC"]
    families: list[Family] = []
    products: list[str] = []
    citation: str
    note: str = ""


class CarveOut(Row):
    product: str
    code: str
    effective_from: date
    diagnoses_include: list[str]
    diagnoses_exclude: list[str] = []
    citation: str
    note: str = ""


class Program(Row):
    policy: str
    policy_date: str
    document: str
    epsdt_under_age: int | None = None
    repeat_treatment_window_days: int | None = None
    hospital_outpatient_only_families: list[Family] = []
    outpatient_bill_type_prefix: str | None = None
    outpatient_places_of_service: list[str] = []
    certification: list[Certification] = []
    carve_out: list[CarveOut] = []


class PayerProfile(Row):
    name: str
    program: Literal["wnc", "medi-cal"]
    delivery: Literal["managed-care", "ffs"]


class PayersFile(Row):
    payer: dict[str, PayerProfile]
    program: dict[str, Program]


# --- manifest ------------------------------------------------------------------------------------
class ManifestTable(Row):
    file: str
    sha256: str
    columns: list[str] = []
    rows: int | None = None


class ManifestPolicy(Row):
    id: str
    title: str
    date: str


class Manifest(Row):
    release: str
    released: str
    policies: list[ManifestPolicy]
    tables: dict[str, ManifestTable]
