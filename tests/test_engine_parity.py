"""The Arrow checks against the pandas checks on generated claims (issue 24's parity harness).

The whole suite runs with CGT_CLAIMCHECK_RULE_ENGINE=parity (conftest): every case file, the
legitimate variants, the abuse corpus and the 100k every-line-CGT extract of the browser test
run both checks of each ported rule and fail on any difference. This file adds claims drawn at
random from the reference tables' own codes, with the values that trip rules (repeats, split
doses, EPSDT ages, carve-out dates, trial markers, category diagnoses, bad NDCs and dates,
nulls), so that the two engines meet the combinations nobody wrote a case for.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cgt_claimcheck.engine import CheckOptions, run_check
from cgt_claimcheck.reference import load_reference

REFERENCE = load_reference(Path(__file__).resolve().parent.parent / "reference_data")
LEGITIMATE = Path(__file__).parent / "legitimate"
HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,member_dob,bill_type,place_of_service,billing_npi,"
    "facility_npi,prior_auth,invoice_attached,service_date,procedure_code,modifiers,units,charge,ndc,"
    "revenue_code,diagnosis_codes,icd10_pcs_codes,condition_codes,claim_frequency,mcp_enrolled"
).split(",")


def _dotted(code: str) -> str:
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _indication_codes() -> list[str]:
    found = set()
    for indications in REFERENCE.indications.values():
        for indication in indications:
            found.update(re.findall(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?", indication.icd10cm_include))
    return sorted(found)


def _ndc_layouts(ndc11: str) -> list[str]:
    return [ndc11, f"{ndc11[:5]}-{ndc11[5:9]}-{ndc11[9:]}", f"N4{ndc11}"]


PROCEDURES = sorted(
    set(REFERENCE.product_of_hcpcs)
    | {"J3590", "96365", "99214", "38225", "A0130", "P9016"}
    | set(REFERENCE.codes("car_t_admin"))
    | set(sorted(REFERENCE.codes("fertility_preservation"))[:3])
    | set(sorted(REFERENCE.codes("nemt"))[:2])
)
NDCS = sorted({layout for ndc in list(REFERENCE.product_of_ndc)[:40] for layout in _ndc_layouts(ndc)}) + [
    "",
    "00002-1433-80",
    "5116702900",
    "51167-9999-01",
    "not an ndc",
]
DIAGNOSES = [*_indication_codes(), "D57.1", "D57.3", "D57", "Z31.84", "E11.9", "Y92.230", "C83.38", "G12.0", "Z00.6"]
DATES = [
    "2017-08-30",
    "2018-06-01",
    "2019-03-01",
    "2024-05-01",
    "2024-10-01",
    "2025-01-01",
    "2025-03-01",
    "2025-03-08",
    "2025-07-01",
    "2025-09-30",
    "2025-10-01",
    "2026-11-01",
    "03/01/2025",
    "2025-02-30",
    *["2025-03-01"] * 6,  # one date for most lines: same-day doses, duplicates, repeats
]
BIRTHS = ["", "2024-06-01", "2012-01-15", "2005-07-04", "1980-03-03", "12/31/2010", "31/12/2010", "2025-09-30"]

line = st.fixed_dictionaries(
    {
        "claim_id": st.sampled_from(["C1", "C2", "C3", "C4", "C5", "C6"]),
        "line_number": st.sampled_from(["1", "2", "3", "01", "10", "x"]),
        "claim_type": st.sampled_from(["837P", "837I", "837p"]),
        "payer": st.sampled_from(["wnc", "medi-cal-ffs", "medi-cal-mcp", "someone-else"]),
        "member_id": st.sampled_from(["M1", "M2", "M3"]),
        "member_dob": st.sampled_from(BIRTHS),
        "bill_type": st.sampled_from(["", "0131", "131", "0111", "0851", "0138", "0137"]),
        "place_of_service": st.sampled_from(["", "19", "22", "11", "21", "2"]),
        "billing_npi": st.sampled_from(["1609876543", "1881234567", ""]),
        "facility_npi": st.sampled_from(["1609876543", "1881234567", "1234567890", ""]),
        "prior_auth": st.sampled_from(["", "PA-2025-0001", "NA12345", "none", "TAR123"]),
        "invoice_attached": st.sampled_from(["", "Y", "N", "yes", "maybe"]),
        "service_date": st.sampled_from(DATES),
        "procedure_code": st.sampled_from(PROCEDURES),
        "modifiers": st.sampled_from(["", "", "", "JZ", "JZ", "JW;KX", "RT, LT", "Q0", "Q1"]),
        "units": st.sampled_from(["1", "1", "1", "2", "150", "150", "300", "1.5", "0", "abc"]),
        "charge": st.sampled_from(["", "2200000.00", "450", "-5", "1e400", "abc", "100000000"]),
        "ndc": st.sampled_from(NDCS),
        "revenue_code": st.sampled_from(["", "0636", "636", "0891"]),
        "diagnosis_codes": st.lists(st.sampled_from(DIAGNOSES), max_size=3).map(";".join),
        "icd10_pcs_codes": st.sampled_from(["", "XW033C7", "XW133C8", "30233N1"]),
        "condition_codes": st.sampled_from(["", "", "", "", "90", "30"]),
        "claim_frequency": st.sampled_from(["", "1", "7", "8"]),
        "mcp_enrolled": st.sampled_from(["", "Y", "N"]),
    }
)


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, HEADER)
        writer.writeheader()
        writer.writerows(rows)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(line, min_size=1, max_size=30), history=st.lists(line, max_size=4), redact=st.booleans())
def test_arrow_and_pandas_checks_agree_on_generated_claims(tmp_path_factory, rows, history, redact):
    folder = tmp_path_factory.mktemp("parity")
    extract, prior = folder / "claims.csv", folder / "prior.csv"
    _write(extract, rows)
    _write(prior, history)
    options = CheckOptions(
        rule_engine="parity",
        facilities=str(LEGITIMATE / "facilities.csv"),
        history=[str(prior)] if history else [],
        redact=redact,
    )
    run_check([str(extract)], REFERENCE, options)  # engine/parity.py raises on any difference


def test_the_parity_harness_compares_something():
    """The generated claims reach the ported rules: a check that found nothing would agree trivially."""
    from cgt_claimcheck.rules import CATALOGUE

    ported = [r.code for r in CATALOGUE.values() if r.arrow_check is not None]
    assert ported
    report = run_check([str(LEGITIMATE.parent / "cases" / "IN003" / "fail.csv")], REFERENCE, CheckOptions())
    assert any(f.rule == "IN003" for f in report.findings)
