"""The claim-line extract's columns: canonical names, which are required, and name matching."""

from __future__ import annotations

import re

# One row per service line; claim-level values repeat on each line of the claim.
COLUMNS: dict[str, str] = {
    "claim_id": "CLM01",
    "line_number": "LX01",
    "claim_type": "837P / 837I",
    "payer": "payer profile",
    "member_id": "2010BA NM109",
    "member_dob": "DMG02",
    "bill_type": "CLM05 (837I)",
    "place_of_service": "CLM05-1 / SV105 (837P)",
    "billing_npi": "2010AA NM109",
    "facility_npi": "2310C / 2310E NM109",
    "prior_auth": "REF*G1",
    "invoice_attached": "PWK",
    "service_date": "DTP*472",
    "procedure_code": "SV101-2 / SV202-2",
    "modifiers": "SV101-3..6",
    "units": "SV104 / SV205",
    "charge": "SV102 / SV203",
    "ndc": "LIN03",
    "ndc_quantity": "CTP04",
    "ndc_unit": "CTP05-1",
    "revenue_code": "SV201",
    "diagnosis_codes": "HI ABK/ABF",
    "icd10_pcs_codes": "HI BBR/BBQ",
    "condition_codes": "HI BG",
}
REQUIRED = ("claim_id", "line_number", "claim_type", "payer", "member_id", "service_date", "procedure_code", "units")


def name_key(name: str) -> str:
    """Column names match case-insensitively and ignoring spaces, underscores and hyphens."""
    return re.sub(r"[\s_\-]+", "", name.strip().lstrip("\ufeff")).lower()
