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
    "facility_npi_source": "where facility_npi came from in an X12 file: 2420C, 2310C, 2310E or 2010AA (optional)",
    "prior_auth": "REF*G1",
    "invoice_attached": "PWK",
    "service_date": "DTP*472",
    "service_date_to": "DTP*472 RD8 end (optional: the last day of a line billed for a range of dates)",
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
    "claim_frequency": "CLM05-3 (1 original, 7 replacement, 8 void)",
    "mcp_enrolled": "eligibility (271): Y when the member is enrolled in a Medi-Cal managed care plan",
}
REQUIRED = ("claim_id", "line_number", "claim_type", "payer", "member_id", "service_date", "procedure_code", "units")
# Columns every row is screened on that hold few distinct values: the CSV parser hands them over
# dictionary encoded (on its threads), and screening works on their distinct values.
SCREENED_CODES = ("payer", "procedure_code", "revenue_code", "line_number", "claim_type", "service_date", "units")


def name_key(name: str) -> str:
    """Column names match case-insensitively and ignoring spaces, underscores and hyphens."""
    return re.sub(r"[\s_\-]+", "", name.strip().lstrip("\ufeff")).lower()


# --- the lines contract: every column a rule may read ----------------------------------------------
# Besides the canonical columns (normalised, see ingest/normalise.py), the kept lines carry the
# text as written of the values that are parsed, bookkeeping, and columns derived from the
# reference tables (engine/lines.py). Rule templates may name only these and their own details.
AS_WRITTEN: dict[str, str] = {
    "service_date_text": "service_date as written",
    "units_text": "units as written",
    "member_dob_text": "member_dob as written",
    "invoice_attached_text": "invoice_attached as written",
    "charge_text": "charge as written",
    "ndc11": "the NDC as 11 digits (5-4-2), empty when it cannot be read",
    "ndc_status": "missing, valid, invalid or ambiguous (10 bare digits)",
}
BOOKKEEPING: dict[str, str] = {
    "_file": "the input file (as given)",
    "_row": "1-based data row (the line in the file minus the header)",
    "_seq": "order in the input: file, then row",
    "_history": "True for a row of a --history file",
}
DERIVED: dict[str, str] = {
    "product_hcpcs": "the CGT product of the procedure code",
    "product_ndc": "the CGT product of the NDC: its package, or else its labeler+product code (first 9 digits)",
    "ndc_match": "how the NDC matched the tables: package, product (code only: an unlisted package), labeler (a CGT maker's code only) or ''",
    "is_j3590": "the line bills a not-otherwise-classified drug code (J3590, unclassified biologics)",
    "product": "the CGT product of the line (its HCPCS, or its NDC on a J3590 line)",
    "is_cgt_drug": "the line bills a CGT product",
    "is_car_t_admin": "the line bills CAR-T administration (38228)",
    "brand": "the product's brand name",
    "family": "the product's family (car-t, sma, ...)",
    "program": "the payer profile's program (wnc or medi-cal)",
    "inpatient": "837I with type of bill 011x",
    "age": "whole years on the date of service (NaN without a date of birth)",
    "frequency": "the claim frequency code: claim_frequency, else the 4th digit of an 837I type of bill ('' when unknown)",
    "epsdt": "the member is under the program's EPSDT age (wnc: 21) on the date of service",
    "trial_markers": "the clinical-trial markers of the line's claim ('' when none)",
}
LINE_COLUMNS: frozenset[str] = frozenset(COLUMNS) | frozenset(AS_WRITTEN) | frozenset(BOOKKEEPING) | frozenset(DERIVED)
# What a finding shows as the value of a field: the text as written, not the parsed form.
DISPLAY_COLUMN = {
    "service_date": "service_date_text",
    "units": "units_text",
    "member_dob": "member_dob_text",
    "invoice_attached": "invoice_attached_text",
    "charge": "charge_text",
}

# Context lines (prior claims from --history, CGT lines of payers out of scope) are never checked;
# their claim ids carry a prefix, so they never meet a checked claim with the same id.
HISTORY_PREFIX, OTHER_PAYER_PREFIX = "history:", "other-payer:"

WHOLE_ROW = "(row)"  # the field of a rejected row that could not be split into fields (value: its raw text)
